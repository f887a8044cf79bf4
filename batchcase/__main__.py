from batchcase.cli import main

main()
