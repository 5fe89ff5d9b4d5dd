from onestop_reference.server import main

main()
