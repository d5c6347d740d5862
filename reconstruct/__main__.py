from reconstruct.cli import main

main()
