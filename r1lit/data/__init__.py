"""r1lit.data"""
