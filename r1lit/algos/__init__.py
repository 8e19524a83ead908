"""r1lit.algos"""
