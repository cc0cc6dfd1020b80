"""Erasing a person (participants/privacy.py, below this app) also forgets the sentences they
wrote in follow-up answers; the chosen answers (yes/no, how often, status) stay for the
counts, as the rest of an erased person's activity does."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from participants.models import Participant


@receiver(post_save, sender=Participant, dispatch_uid="followup-forget-erased-answers")
def forget_erased_answers(sender, instance: Participant, **kwargs) -> None:
    if instance.is_anonymised:
        from .services import forget_free_text

        forget_free_text(person=instance)
