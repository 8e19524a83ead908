"""r1lit.rewards"""
