"""r1lit.cli"""
