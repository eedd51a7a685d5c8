from salescrm.cli.app import main

main()
