"""`python -m services.cli`: the same tool as `digipolku`."""

from services.cli import main

main()
