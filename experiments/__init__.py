"""Many runs of the negotiation model: designs, executors, result store, analysis.

The command line (``negotiation``) lives here too, so that the domain package never
imports the batch or UI layers.
"""
