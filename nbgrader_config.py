"""nbgrader configuration of the IRH course.

The course root is the folder of this file. Source notebooks (with solutions,
hidden tests and grader notes) live in ``solutions/``; the student versions that
``python -m instructor release`` generates go to ``exercises/``.

Environment variables (none is required):

``IRH_EXCHANGE_ROOT``
    The nbgrader exchange folder used by ``release_assignment``, ``fetch_assignment``,
    ``submit`` and ``collect``. On a JupyterHub every student and instructor must see
    the same folder, so set it to a shared, writable path there (for example
    ``/srv/nbgrader/exchange``). Default: a per-user folder,
    ``platformdirs.user_data_dir("irh-exchange")`` (``~/.local/share/irh-exchange`` on
    Linux), created on first use, enough for one machine.
``IRH_AUTOGRADE_TIMEOUT``
    Seconds one cell may run during autograding before it is interrupted (default 60).
"""

import os
import tempfile
from pathlib import Path

import platformdirs
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, GetGrades

# The feedback preprocessor is part of the course's installed `instructor` package.
from instructor.feedback import HideHiddenTestErrors
from instructor.grade_export import SafeCsvExportPlugin

COURSE_ROOT = Path(__file__).resolve().parent

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = "irh-relational-health"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Exchange: settable without editing this file (nbgrader's default, /srv/nbgrader/exchange,
# is not writable on most machines).
exchange_root = os.environ.get("IRH_EXCHANGE_ROOT") or platformdirs.user_data_dir("irh-exchange")
try:
    os.makedirs(exchange_root, exist_ok=True)
except OSError:
    pass  # nbgrader reports an unwritable exchange itself, with the path
c.Exchange.root = exchange_root

# One cell may run this long when autograding (an endless loop is interrupted, the
# cell is marked with a CellTimeoutError and the next cells and students go on).
c.Execute.timeout = int(os.environ.get("IRH_AUTOGRADE_TIMEOUT", "60"))

# Kernels talk over local IPC sockets rather than TCP ports: on a busy machine a TCP port
# chosen for a new kernel can be taken before the kernel binds it ("Address already in
# use"), and that student's submission then fails to grade. The socket files are named
# after this nbgrader process and removed when each kernel stops.
c.KernelManager.transport = "ipc"
c.KernelManager.ip = os.path.join(tempfile.gettempdir(), f"irh-kernel-{os.getpid()}")

# A submission whose test cell was deleted gets it back from the gradebook and is graded.
c.OverwriteCells.add_missing_cells = True

# `nbgrader export` quotes every field (nbgrader's own CSV plugin does not, so a name with a
# comma shifted the columns) and neutralises cells a spreadsheet would run as formulas.
c.ExportApp.plugin_class = SafeCsvExportPlugin

# Feedback returned to students: no hidden test source, no hidden test in a traceback,
# no grader notes (mark-scheme regions). HideHiddenTestErrors must run before
# ClearHiddenTests, since it needs the hidden region to know which line failed.
c.GenerateFeedback.preprocessors = [
    GetGrades,
    CSSHTMLHeaderPreprocessor,
    HideHiddenTestErrors,
    ClearHiddenTests,
    ClearMarkScheme,
]
