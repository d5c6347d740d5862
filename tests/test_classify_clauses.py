"""A mitigation is a step responders take: an action verb, said done or under way, with any
object, whose subject is no failing thing (``[classify]``, #11, nc12b).

Tables of people's words as incident channels and PagerDuty notes say them (the verbs of public
post-mortems and of Kubernetes node maintenance: cordon, drain, pause or cancel an upgrade,
halt a canary, freeze deploys; "GKE automates node pool upgrades by cordoning, draining, and
recreating nodes" is the tool's own work): responders' steps with node names, pools, services
as objects; descriptions of the fault, whose subject is the failing process ("it's draining 6
nodes at a time", "the upgrade is evicting", "pods are restarting"); questions, plans,
negations, instructions and quotes of a tool's words. Then one figure test through the real
parsers: PagerDuty ``GET /incidents/{id}/log_entries`` (``trigger_log_entry``, an
``annotate_log_entry`` whose ``channel.summary`` is the note's text) and Slack
``conversations.history`` messages (``user``, ``text``, ``ts``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from reconstruct.model import Kind
from reconstruct.render import metrics
from tests.classify_table import cases, kind_of
from tests.test_note_echoes import note
from tests.test_rows import KIM, LEE, T0, one, said, timeline, trigger

RESPONDER_STEPS = [
    # any object: node names, short names, pools, services
    "cordoned gke-prod-pool-b-5c1d9e06 and gke-prod-pool-b-5c1d9e07",
    "drained gke-prod-pool-b-5c1d9e06",
    "cordoned nodes -06 and -07, uncordoned -01 and -02",
    "uncordoned -01 and -02 so pods can land",
    "ok, drained -06",
    "14:47 cordoned -06 and -07",
    "#3329 reverted the PDB change",
    "<@U02MEI> drained -06 and -07",
    "@Kim Nguyen paused the upgrade",
    "I'm draining ip-10-0-3-7 now",
    "Kim is draining gke-prod-pool-b-5c1d9e06",
    "evicted the stuck pods from -06",
    # pausing, halting, stopping a rollout, upgrade, deploy, canary, backfill
    "paused the pool-b node pool upgrade (gcloud container operations cancel)",
    "Paused the pool-b node pool upgrade. Cordoning the surge nodes next, then scaling pool-b.",
    "we're pausing the rollout of checkout 4f2c9e1",
    "we are pausing deployments on asset manager",
    "halted the canary at 10%",
    "aborted the deploy of checkout 4f2c9e1",
    "stopped the backfill on orders-db",
    "cancelled the upgrade operation operation-1795013060",
    "froze deploys to production",
    "suspended the cluster autoscaler on pool-b",
    "disabled auto-upgrade on pool-b",
    # restarts, scaling, flushes with any object
    "restarted kafka-broker-2",
    "bounced redis-sessions-2",
    "scaling pool-b to 18 nodes",
    "scaled pool-b from 12 to 18 nodes",
    "Flushed the DNS cache on the resolvers",
    "this mitigated it, errors back to baseline",  # the word itself says the fault eased
]
"""A responder's step, said done or under way: a mitigation."""

DESCRIPTIONS = [
    "pool-b upgrade to 1.31 started at 13:57 from #3321. it's draining 6 nodes at a time",
    "it's draining 6 nodes at a time and evicting everything",
    "pool-b node upgrade is draining nodes faster than public-api can reschedule",
    "the upgrade is evicting every replica on the node",
    "the upgrade has drained 12 of 18 nodes",
    "GKE is cordoning and draining 6 nodes at a time",
    "karpenter drained ip-10-0-3-7 at 14:02",
    "the HPA keeps scaling up checkout",
    "the autoscaler scaled out pool-b to 30",
    "the autoscaler has been scaling up all morning",
    "the cluster autoscaler is evicting pods from pool-a",
    "kube-controller-manager evicted 24 pods",
    "pods are restarting on pool-b",
    "pods keep restarting",
    "the pods are being evicted",
    "nodes are being drained by the upgrade",
    "orders-consumer restarted 3 times",
    "the rollout stopped at 40%",
    "the upgrade paused itself",
    "redis is evicting keys",
    "@kim the upgrade is draining nodes",
]
"""The failing thing's doing (its subject a process, a pronoun for it, or a passive): a
description of the fault, no step."""

NOT_TAKEN = [
    # questions
    "should we pause the upgrade?",
    "can we cordon -06 and -07?",
    "did you drain -06?",
    "maybe cordon -06?",
    # plans, hedges, opinions
    "will pause the upgrade after the sync",
    "we'll cordon -06",
    "going to halt the canary",
    "plan: pause the upgrade, cordon the surge nodes",
    "I'd pause the upgrade",
    "pausing the upgrade would stop the bleeding",
    "pausing the upgrade is risky",
    # negations, instructions
    "not pausing the upgrade yet",
    "we haven't drained -06",
    "no need to restart kafka",
    "pause the upgrade",
    # no object, another sense of the verb, the response's own tools
    "paused for a minute to think",
    "stopped seeing errors on checkout",
    "paused alerts for the maintenance",
    "suspended paging for checkout",
    "we paused there for a sec to look at graphs",
    "restarting my laptop, brb",
    "aborting the call, switching to zoom",
    "paused the Grafana playlist",
    "flushing the logs to disk before restart",
    # a participle describing a noun
    "evicted pods are piling up in pool-b",
    "drained nodes show SchedulingDisabled",
    # a tool's words quoted
    '"drained gke-prod-pool-b-5c1d9e06" is what the upgrade log says',
    "the log says \u201ccordoned gke-prod-pool-b-5c1d9e06\u201d at 14:02",
]
"""A question, a plan, a negation, an instruction, another sense or a quote: no kind."""


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        *cases(Kind.MITIGATE, RESPONDER_STEPS),
        *cases(None, DESCRIPTIONS),
        *cases(None, NOT_TAKEN),
    ],
)
def test_a_mitigation_is_a_responders_step_with_any_object(text: str, kind: Kind | None) -> None:
    assert kind_of(text) is kind


def test_the_upgrade_draining_sets_no_figure_the_pause_does(tmp_path: Path) -> None:
    """The nc12b incident: the node pool upgrade's draining, described at 23 min, is the fault;
    time to mitigate is the pause (a PagerDuty note and its author's words in chat), and the
    cordon of two named nodes is a mitigation row."""
    upgrade = "pool-b upgrade to 1.31 started at 13:57 from #3321. it's draining 6 nodes at a time"
    paused = "Paused the pool-b node pool upgrade. Cordoning the surge nodes next."
    messages = [
        said("U02LEE", 23, upgrade),
        said("U03KIM", 25, "it's draining 6 nodes at a time and evicting everything"),
        said("U03KIM", 38.2, "paused the pool-b node pool upgrade (gcloud container operations)"),
        said("U02LEE", 41, "cordoned gke-prod-pool-b-5c1d9e06 and gke-prod-pool-b-5c1d9e07"),
    ]
    tl = timeline(tmp_path, [trigger(), note(38, paused)], messages, [KIM, LEE])
    mark = metrics.milestones(tl).mitigated
    assert mark is not None and mark.time == T0 + timedelta(minutes=38)
    assert metrics.as_json(metrics.compute(tl))["time_to_mitigate_s"] == 38 * 60
    assert not any(e.kind is Kind.MITIGATE and "draining 6 nodes" in e.summary for e in tl.events)
    assert one(tl, "cordoned gke-prod-pool-b-5c1d9e06").kind is Kind.MITIGATE
