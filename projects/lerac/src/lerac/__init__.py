"""Learning Rate Curriculum (LeRaC), with the CBS baseline."""
