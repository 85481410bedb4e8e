"""Fleet tests: the Redis-backed rate limiter, several worker processes, one sandbox."""
