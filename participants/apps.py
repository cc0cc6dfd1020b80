from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = _("Participants")

    def ready(self) -> None:
        # The event page (trainings) shows participants' figures and blocks: trainings may not
        # import participants, so participants registers them (trainings/event_page.py).
        from trainings.event_page import register_event_blocks, register_event_figures

        from .aggregates import event_figures
        from .event_page import event_blocks

        register_event_figures(event_figures)
        register_event_blocks(event_blocks)

        # Deleted events, sessions, people and their records leave tombstones for the API.
        from . import tombstones

        tombstones.connect()

        # The dashboard's and regions overview's summaries follow every write they count.
        from . import summaries

        summaries.connect()
        # The event list sorted by people reads the stored roster sizes while they are current.
        from trainings.selectors import register_stored_roster_sizes

        register_stored_roster_sizes(summaries.rosters_current)
