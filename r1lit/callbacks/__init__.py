"""r1lit.callbacks"""
