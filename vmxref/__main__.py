from vmxref.cli import main

main()
