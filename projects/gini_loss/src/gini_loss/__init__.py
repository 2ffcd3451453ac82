"""Discriminability-enforcing loss: Gini impurity + KL on high-level features."""
