from insday.cli import main

main()
