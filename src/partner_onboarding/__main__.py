"""``python -m partner_onboarding`` runs the command line, exactly as the console script does
(a closed pipe ends quietly; an unexpected error exits 70, never 1)."""

from partner_onboarding.cli import run

run()
