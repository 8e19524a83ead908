"""r1lit.tasks"""
