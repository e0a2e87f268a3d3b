"""``signalroom bench``: performance goals measured as ratios against baselines in one run."""
