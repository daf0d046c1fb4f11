"""The clinician report: comparison tables, plots and program progress as a PDF."""
