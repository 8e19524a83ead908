"""r1lit.callbacks: Lightning callbacks (HF exports, resumable logs, sample and held-out completion logs)."""
