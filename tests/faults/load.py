"""Operators' clients under a fault: each report has its own Idempotency-Key, and on a connection
error, a timeout or a 503 the client sends the same key and body again, as a real client would."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx

CITIES = ["Москва", "Санкт-Петербург", "Екатеринбург", "Новосибирск", "Курск"]
GIVE_UP_SECONDS = 120  # per report: far beyond any fault here; reaching it fails the test


@dataclass
class Outcomes:
    acknowledged: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (id, detained)
    statuses: Counter = field(default_factory=Counter)  # every HTTP status seen, retries included
    transport_errors: int = 0
    unexpected: list[str] = field(default_factory=list)  # answers a valid report must never get
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


class Clients:
    def __init__(self, url: str, tokens: list[str], per_client: int) -> None:
        self.url, self.tokens, self.per_client = url, tokens, per_client
        self.outcomes = Outcomes()
        self._threads = [threading.Thread(target=self._client, args=(t,), daemon=True) for t in tokens]
        self._when = datetime.now(timezone.utc) - timedelta(hours=2)

    def start(self) -> Clients:
        for thread in self._threads:
            thread.start()
        return self

    def wait_for_acks(self, count: int, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while self.outcomes.count < count:
            assert time.monotonic() < deadline, f"only {self.outcomes.count} reports acknowledged"
            assert not self.outcomes.unexpected, self.outcomes.unexpected
            time.sleep(0.05)

    def join(self) -> Outcomes:
        for thread in self._threads:
            thread.join(timeout=GIVE_UP_SECONDS + 60)
        return self.outcomes

    def _client(self, token: str) -> None:
        rng = random.Random(token)
        with httpx.Client(base_url=self.url, timeout=10) as http:
            for _ in range(self.per_client):
                key = uuid.uuid4().hex
                body = {"kind": "detention", "city": rng.choice(CITIES), "detained": rng.randint(1, 20),
                        "occurred_at": (self._when + timedelta(seconds=rng.randint(0, 3600))).isoformat()}
                if rng.random() < 0.3:
                    body["description"] = f"у отдела полиции, {key[:6]}"  # goes through the key store
                self._send(http, token, key, body)

    def _send(self, http: httpx.Client, token: str, key: str, body: dict) -> None:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        give_up = time.monotonic() + GIVE_UP_SECONDS
        outcomes = self.outcomes
        while time.monotonic() < give_up:
            try:
                answer = http.post("/v1/reports", json=body, headers=headers)
            except httpx.TransportError:
                with outcomes.lock:
                    outcomes.transport_errors += 1
                time.sleep(0.2)
                continue
            with outcomes.lock:
                outcomes.statuses[answer.status_code] += 1
            if answer.status_code in (200, 201):
                with outcomes.lock:
                    outcomes.acknowledged[key] = (answer.json()["id"], body["detained"])
                return
            if answer.status_code == 503:
                assert "retry-after" in answer.headers, answer.text
                time.sleep(min(float(answer.headers["retry-after"]), 0.5))
                continue
            with outcomes.lock:
                outcomes.unexpected.append(f"{answer.status_code} {answer.text[:200]}")
            return
        with outcomes.lock:
            outcomes.unexpected.append(f"gave up on {key} after {GIVE_UP_SECONDS} s")
