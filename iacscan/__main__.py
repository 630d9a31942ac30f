import sys

from iacscan.cli import main

sys.exit(main())
