"""r1lit.modules"""
