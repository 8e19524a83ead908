"""r1lit.tiny"""
