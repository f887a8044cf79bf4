"""batchcase: turn a lab's BioSample Workflow sheet into Emedgene cases."""

__version__ = "0.1.0"
