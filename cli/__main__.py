import sys

from hrouter.cli.main import main

sys.exit(main())
