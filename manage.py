#!/usr/bin/env python
from kiteline.__main__ import main

if __name__ == "__main__":
    main()
