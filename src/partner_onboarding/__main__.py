"""``python -m partner_onboarding`` runs the command line."""

import sys

from partner_onboarding.cli import main

sys.exit(main())
