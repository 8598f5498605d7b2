"""Background jobs: mail, certificate PDFs and large exports run by RQ workers when Redis is configured.

``queues.enqueue()`` is the one way in; without ``REDIS_URL`` it runs the job at once, so a single
process with its embedded defaults needs no worker. See docs/jobs.md.
"""
