import sys

from awsbroker.main import main

sys.exit(main())
