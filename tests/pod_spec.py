"""A pod of two packages of two dies: the topology spec the route and topology tests share."""

POD = """
hardware Pod {
    core V count 4 { queue v does send }
    package dies 2
    link SIO bandwidth 2 GB/s latency 0 us scope package
    link UB  bandwidth 1 GB/s latency 0 us
    fabric Clos bandwidth 0.5 GB/s per_peer 1 us
}
"""
