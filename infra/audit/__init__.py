"""The audit trail: the chain part that signs heads (`part`), the export, and the offline verifier.

The verifier (`verify`, `fold`, `bulletins`) imports nothing else from svodka, so an auditor can
read it, or rewrite it, against docs/AUDIT.md alone.
"""
