"""DFB-Synth: the embedded benchmark, built offline from photos shipped inside packages."""
