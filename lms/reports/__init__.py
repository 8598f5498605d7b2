"""Reports funders ask for: indicators over enrolments, completions, certificates and workshops."""
