import sys

from sgg_bench.cli import main

sys.exit(main())
