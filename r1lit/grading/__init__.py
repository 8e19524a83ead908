"""r1lit.grading"""
