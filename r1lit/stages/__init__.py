"""r1lit.stages"""
