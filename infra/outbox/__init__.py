"""Sending what the outbox holds: Telegram channel posts and signed partner webhook deliveries."""
