from signalroom.cli import main

main()
