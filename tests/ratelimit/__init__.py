"""Rate limiting: the limits, the in-memory limiter, the GCRA arithmetic, and the Redis-backed
limiter against a real redis-server (with several worker processes and one sandbox)."""
