"""What the platform tells learners: a list on their page and, if they want it, an email."""
