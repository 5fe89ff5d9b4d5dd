"""Zalo Official Account channel: signed webhook in, durable queue, Zalo OA v3 send client out.

Entry points for the app: `build_router(settings, conversations, db)` (the router carries the background
worker's lifespan) or `build_channel(...)` for the `ZaloChannel` object itself (`.router`, `start()`, `stop()`).
Officers read give-ups with `api.zalo.failures.list_delivery_failures(db)`.
"""
