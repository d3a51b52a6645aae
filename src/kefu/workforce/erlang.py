"""Erlang C (and Erlang A for chat, with abandonment): agents required for a service-level target.

Numerically stable: the Erlang B probability is built with its recursion
`B(0) = 1, B(n) = A·B(n-1) / (n + A·B(n-1))`, never with factorials or powers of the traffic,
so 1,000 agents on 950 Erlangs cost a thousand multiplications and never overflow. Erlang C
follows from B: `C = N·B / (N − A·(1 − B))`, and the share answered within `t` seconds is
`1 − C·exp(−(N − A)·t / AHT)`.

Traffic at or above the number of agents (A ≥ N) has no steady state in Erlang C: the queue
grows without end. That is an answer (`stable=False`, service level 0), never an exception.

Erlang A (Palm's M/M/N+M) adds customers who give up after an exponential patience (mean
`patience` seconds), as chat customers do: the birth–death chain is always stable, and the
share answered within `t` is found by running the queue ahead of a newcomer forward in time
(a pure-death process with the newcomer's own patience as a killing rate).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed

MAX_AGENTS = 100_000
MAX_ARRIVALS = 1_000_000
DAY = 86400.0
MAX_STEPS = 20_000  # Erlang A: integration steps for one answer
DEFAULT_FLOOR = 2  # "at least 2 agents online at peak hours" (the strategy plan)


@dataclass(frozen=True)
class Staffing:
    """The answer for one interval."""

    agents: int  # the fewest agents on the phones meeting the target (Erlang's number)
    service_level: float  # the share answered within the target time with that many
    scheduled: int  # agents to put on the roster: after shrinkage, at least the floor
    traffic: float  # offered load in Erlangs (arrivals × AHT / interval)
    occupancy: float
    asa: float  # average speed of answer, seconds
    stable: bool = True
    abandon_rate: float = 0.0  # Erlang A only
    model: str = "erlang_c"
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("service_level", "traffic", "occupancy", "asa", "abandon_rate"):
            data[key] = round(data[key], 4) if math.isfinite(data[key]) else None  # JSON has no ∞
        return data


def _check(*, arrivals: float, interval: float, aht: float, answer_within: float) -> None:
    if not (isinstance(arrivals, int | float) and math.isfinite(arrivals) and arrivals >= 0):
        raise ValidationFailed(_("Arrivals must be zero or more."), field="arrivals")
    if not (math.isfinite(interval) and interval > 0):
        raise ValidationFailed(_("The interval must be longer than zero seconds."), field="interval")
    if not (math.isfinite(aht) and aht > 0):
        raise ValidationFailed(_("The handling time must be longer than zero seconds."), field="aht")
    if not (math.isfinite(answer_within) and answer_within >= 0):
        raise ValidationFailed(_("The answer time must be zero seconds or more."), field="answer_within")
    if arrivals > MAX_ARRIVALS or interval > DAY or aht > DAY or answer_within > DAY:
        raise ValidationFailed(
            _("The numbers are out of range (at most a day, a million contacts)."), field="arrivals"
        )
    if (
        not math.isfinite(traffic(arrivals, interval, aht))
        or traffic(arrivals, interval, aht) >= MAX_AGENTS - 1
    ):
        raise ValidationFailed(_("The traffic is too large to staff."), field="arrivals")


def traffic(arrivals: float, interval: float, aht: float) -> float:
    return arrivals * aht / interval


def erlang_b(agents: int, load: float) -> float:
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return b


def _c_from_b(n: int, load: float, b: float) -> float:
    return n * b / (n - load * (1.0 - b))


def erlang_c(agents: int, load: float) -> float:
    """Probability that a contact waits. 1.0 when the queue is unstable (load ≥ agents)."""
    if agents <= 0 or load >= agents:
        return 1.0
    if load <= 0:
        return 0.0
    return _c_from_b(agents, load, erlang_b(agents, load))


def _sl(n: int, load: float, c: float, aht: float, within: float) -> float:
    return max(0.0, min(1.0, 1.0 - c * math.exp(-(n - load) * within / aht)))


def _unstable(load: float, agents: int) -> Staffing:
    return Staffing(
        agents=agents,
        service_level=0.0,
        scheduled=agents,
        traffic=load,
        occupancy=1.0,
        asa=math.inf,
        stable=False,
        message=_(
            "Unstable queue: the traffic (%(load).2f Erlangs) is at or above the number of agents "
            "(%(agents)d), so the queue grows without end. More agents are needed."
        )
        % {"load": load, "agents": agents},
    )


def evaluate(*, arrivals: float, interval: float, aht: float, agents: int, answer_within: float) -> Staffing:
    """What `agents` achieve (Erlang C). Traffic ≥ agents → `stable=False`, not an error."""
    _check(arrivals=arrivals, interval=interval, aht=aht, answer_within=answer_within)
    if agents < 0 or agents > MAX_AGENTS:
        raise ValidationFailed(_("The number of agents is out of range."), field="agents")
    load = traffic(arrivals, interval, aht)
    if load == 0:
        return Staffing(agents, 1.0, agents, 0.0, 0.0, 0.0)
    if load >= agents:
        return _unstable(load, agents)
    c = erlang_c(agents, load)
    return Staffing(
        agents=agents,
        service_level=_sl(agents, load, c, aht, answer_within),
        scheduled=agents,
        traffic=load,
        occupancy=load / agents,
        asa=c * aht / (agents - load),
    )


def _schedule(agents: int, *, shrinkage: float, floor: int) -> int:
    return max(math.ceil(agents / (1.0 - shrinkage) - 1e-9), floor)


def _check_target(service_level: float, shrinkage: float, floor: int) -> None:
    if not (math.isfinite(service_level) and 0 < service_level < 1):
        raise ValidationFailed(
            _("The service level is a share between 0 and 1, e.g. 0.8."), field="service_level"
        )
    if not (math.isfinite(shrinkage) and 0 <= shrinkage < 1):
        raise ValidationFailed(_("Shrinkage is a share from 0 up to (not including) 1."), field="shrinkage")
    if floor < 0 or floor > MAX_AGENTS:
        raise ValidationFailed(_("The floor is out of range."), field="floor")


def required(
    *,
    arrivals: float,
    interval: float,
    aht: float,
    service_level: float,
    answer_within: float,
    shrinkage: float = 0.0,
    floor: int = DEFAULT_FLOOR,
    max_occupancy: float = 1.0,
) -> Staffing:
    """The fewest agents meeting `service_level` within `answer_within` seconds (Erlang C).

    `scheduled` adds shrinkage (breaks, training, absence: agents ÷ (1 − shrinkage), rounded up)
    and never goes below `floor` (pass 0 outside peak hours).
    """
    _check(arrivals=arrivals, interval=interval, aht=aht, answer_within=answer_within)
    _check_target(service_level, shrinkage, floor)
    load = traffic(arrivals, interval, aht)
    if load == 0:
        return Staffing(0, 1.0, _schedule(0, shrinkage=shrinkage, floor=floor), 0.0, 0.0, 0.0)
    if load >= MAX_AGENTS - 1:
        raise ValidationFailed(_("The traffic is too large to staff."), field="arrivals")
    b = 1.0
    n = 0
    while n < MAX_AGENTS:
        n += 1
        b = load * b / (n + load * b)  # Erlang B for n agents, carried forward
        if n <= load or load / n > max_occupancy:
            continue
        c = _c_from_b(n, load, b)
        sl = _sl(n, load, c, aht, answer_within)
        if sl >= service_level:
            return Staffing(
                agents=n,
                service_level=sl,
                scheduled=_schedule(n, shrinkage=shrinkage, floor=floor),
                traffic=load,
                occupancy=load / n,
                asa=c * aht / (n - load),
            )
    raise ValidationFailed(_("The traffic is too large to staff."), field="arrivals")  # pragma: no cover


# --------------------------------------------------------------------------- Erlang A


def _erlang_a_state(n: int, lam: float, mu: float, theta: float) -> tuple[list[float], int]:
    """Steady-state probabilities of M/M/n+M, truncated where the tail no longer matters.

    Built as ratios p_k / p_{k-1} in log space so that large systems do not overflow."""
    logs = [0.0]
    k = 0
    peak = 0.0
    while True:
        k += 1
        rate = k * mu if k <= n else n * mu + (k - n) * theta
        logs.append(logs[-1] + math.log(lam) - math.log(rate))
        peak = max(peak, logs[-1])
        if k > n and logs[-1] < peak - 30 and rate > lam:
            break
        if k > n + 100_000:  # pragma: no cover (patience of zero seconds and the like)
            break
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    total = sum(weights)
    return [w / total for w in weights], k


def evaluate_a(
    *, arrivals: float, interval: float, aht: float, agents: int, answer_within: float, patience: float
) -> Staffing:
    """What `agents` achieve when customers give up after `patience` seconds on average (Erlang A)."""
    _check(arrivals=arrivals, interval=interval, aht=aht, answer_within=answer_within)
    if not (math.isfinite(patience) and 1 <= patience <= DAY):
        raise ValidationFailed(_("Patience lies between one second and a day."), field="patience")
    if agents <= 0 or agents > MAX_AGENTS:
        raise ValidationFailed(_("The number of agents is out of range."), field="agents")
    load = traffic(arrivals, interval, aht)
    if load == 0:
        return Staffing(agents, 1.0, agents, 0.0, 0.0, 0.0, model="erlang_a")
    lam, mu, theta = arrivals / interval, 1.0 / aht, 1.0 / patience
    p, top = _erlang_a_state(agents, lam, mu, theta)
    p = np.asarray(p)
    no_wait = float(p[:agents].sum())
    queue = p[agents:]  # an arrival finds j = 0, 1, … contacts waiting ahead of it (PASTA)
    waiting_mean = float((np.arange(len(queue)) * queue).sum())
    abandon = theta * waiting_mean / lam
    # Run the queue ahead of a newcomer forward (RK4 on a pure-death process): state j = contacts
    # ahead of it; the head is served (rate n·mu, j → j-1, or the newcomer itself when j = 0), one
    # ahead gives up (rate j·theta), or the newcomer gives up (rate theta: lost).
    served = 0.0
    if answer_within > 0 and len(queue):
        q = np.array(queue, dtype=float)
        tail = np.cumsum(q[::-1])[::-1]  # mass at or beyond each state
        q = q[: max(1, int(np.searchsorted(-tail, -1e-10)) + 1)]  # the far tail changes nothing
        leave = agents * mu + np.arange(len(q)) * theta  # the head served or one ahead giving up
        rmax = float(leave[-1]) + theta
        steps = max(8, math.ceil(answer_within * rmax / 2.0))
        if steps > MAX_STEPS:
            raise ValidationFailed(
                _("Too large for Erlang A; use Erlang C for this queue."), field="arrivals"
            )
        h = answer_within / steps

        def deriv(v: np.ndarray) -> tuple[np.ndarray, float]:
            flow = leave * v
            out = -(leave + theta) * v
            out[:-1] += flow[1:]
            return out, agents * mu * float(v[0])

        for _step in range(steps):
            k1, s1 = deriv(q)
            k2, s2 = deriv(q + h / 2 * k1)
            k3, s3 = deriv(q + h / 2 * k2)
            k4, s4 = deriv(q + h * k3)
            q = q + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            served += h / 6 * (s1 + 2 * s2 + 2 * s3 + s4)
    sl = max(0.0, min(1.0, no_wait + served))
    busy = float((np.minimum(np.arange(len(p)), agents) * p).sum())
    return Staffing(
        agents=agents,
        service_level=sl,
        scheduled=agents,
        traffic=load,
        occupancy=busy / agents,
        asa=waiting_mean / lam,  # Little's law on the queue
        abandon_rate=abandon,
        model="erlang_a",
    )


def required_a(
    *,
    arrivals: float,
    interval: float,
    aht: float,
    service_level: float,
    answer_within: float,
    patience: float,
    shrinkage: float = 0.0,
    floor: int = DEFAULT_FLOOR,
) -> Staffing:
    """The fewest agents meeting the target when customers abandon (chat): never more than Erlang C."""
    _check_target(service_level, shrinkage, floor)
    load = traffic(arrivals, interval, aht) if interval > 0 else 0.0
    if arrivals <= 0:
        return evaluate_a(
            arrivals=0, interval=interval, aht=aht, agents=1, answer_within=answer_within, patience=patience
        )
    ceiling = required(
        arrivals=arrivals,
        interval=interval,
        aht=aht,
        service_level=service_level,
        answer_within=answer_within,
        floor=0,
    ).agents
    best = None
    for n in range(ceiling, max(0, math.floor(load * 0.5)), -1):
        result = evaluate_a(
            arrivals=arrivals,
            interval=interval,
            aht=aht,
            agents=n,
            answer_within=answer_within,
            patience=patience,
        )
        if result.service_level < service_level:
            break
        best = result
    if best is None:
        best = evaluate_a(
            arrivals=arrivals,
            interval=interval,
            aht=aht,
            agents=ceiling,
            answer_within=answer_within,
            patience=patience,
        )
    return Staffing(**{**asdict(best), "scheduled": _schedule(best.agents, shrinkage=shrinkage, floor=floor)})
