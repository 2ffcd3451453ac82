"""Image generators of DFB-Synth, each fitted on the real *train* patches only."""
