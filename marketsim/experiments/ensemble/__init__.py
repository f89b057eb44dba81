"""Monte Carlo ensembles over the ``[uncertain]`` distributions of scenario files (``marketsim ensemble``)."""
