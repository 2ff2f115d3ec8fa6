"""``python -m widgets``: the vignette authors' command line."""

import sys

from widgets.cli import main

sys.exit(main())
