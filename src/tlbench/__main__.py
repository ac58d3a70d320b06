from tlbench.console import main

main()
